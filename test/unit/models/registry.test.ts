/** The model table: look-ups by id, alias and endpoint; the emulator's reuse of RunComfy's entries. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL,
  MODEL_TABLE,
  acceptsCatalogModels,
  canonicalModelId,
  isProviderName,
  lookupModel,
  modelNamesOf,
  modelsOf,
  providerRuns,
  tableProviderOf,
} from '../../../src/models/registry.js';
import { PROVIDER_NAMES } from '../../../src/models/types.js';

describe('the table', () => {
  it('has pro and max on every host, and dev on RunComfy', () => {
    const pairs = MODEL_TABLE.map((m) => `${m.provider} ${m.id}`);
    for (const p of ['runcomfy', 'bfl', 'fal', 'replicate'])
      for (const v of ['pro', 'max']) expect(pairs).toContain(`${p} blackforestlabs/flux-1-kontext/${v}/edit`);
    expect(pairs).toContain('runcomfy blackforestlabs/flux-1-kontext/dev/edit');
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('names the endpoints the hosts document', () => {
    const endpoint = (p: 'bfl' | 'fal' | 'replicate' | 'runcomfy', alias: string) => lookupModel(p, alias)?.endpoint;
    expect(endpoint('bfl', 'flux-kontext-pro')).toBe('/v1/flux-kontext-pro');
    expect(endpoint('bfl', 'flux-kontext-max')).toBe('/v1/flux-kontext-max');
    expect(endpoint('fal', 'flux-kontext-pro')).toBe('fal-ai/flux-pro/kontext');
    expect(endpoint('fal', 'flux-kontext-max')).toBe('fal-ai/flux-pro/kontext/max');
    expect(endpoint('replicate', 'flux-kontext-pro')).toBe('black-forest-labs/flux-kontext-pro');
    expect(endpoint('runcomfy', 'flux-kontext-pro')).toBe('blackforestlabs/flux-1-kontext/pro/edit');
  });

  it('prices: from the catalog on RunComfy, a number elsewhere', () => {
    for (const m of MODEL_TABLE) {
      if (m.provider === 'runcomfy') expect(m.priceUsd).toBe('catalog');
      else expect(m.priceUsd).toBe(m.id.includes('/max/') ? 0.08 : 0.04);
    }
  });

  it('every entry lists ratios including 1:1, and the image field of its host', () => {
    const fields = { runcomfy: 'image_url', fal: 'image_url', bfl: 'input_image', replicate: 'input_image' };
    for (const m of MODEL_TABLE) {
      expect(m.aspectRatios).toContain('1:1');
      expect(m.image.field).toBe(fields[m.provider]);
      expect(m.returnsSeed).toBe(m.provider === 'bfl' || m.provider === 'fal');
    }
  });
});

describe('look-ups', () => {
  it('our id, the alias and the endpoint id all find the same entry', () => {
    const byId = lookupModel('fal', 'blackforestlabs/flux-1-kontext/max/edit');
    expect(byId?.endpoint).toBe('fal-ai/flux-pro/kontext/max');
    expect(lookupModel('fal', 'flux-kontext-max')).toBe(byId);
    expect(lookupModel('fal', 'fal-ai/flux-pro/kontext/max')).toBe(byId);
    expect(canonicalModelId('fal', 'fal-ai/flux-pro/kontext/max')).toBe('blackforestlabs/flux-1-kontext/max/edit');
  });

  it('an endpoint id of another host is not a name here', () => {
    expect(lookupModel('bfl', 'fal-ai/flux-pro/kontext')).toBeUndefined();
    expect(lookupModel('replicate', 'flux-kontext-dev')).toBeUndefined();
  });

  it('the emulator uses RunComfy entries and runs catalog models like RunComfy', () => {
    expect(tableProviderOf('emulator')).toBe('runcomfy');
    expect(modelsOf('emulator')).toEqual(modelsOf('runcomfy'));
    expect(lookupModel('emulator', 'flux-kontext-pro')?.id).toBe(DEFAULT_MODEL);
    expect(acceptsCatalogModels('emulator')).toBe(true);
    expect(providerRuns('emulator', 'acme/other/edit')).toBe(true);
    expect(canonicalModelId('runcomfy', 'acme/other/edit')).toBe('acme/other/edit');
  });

  it('BFL, fal and Replicate run only their table', () => {
    for (const p of ['bfl', 'fal', 'replicate'] as const) {
      expect(acceptsCatalogModels(p)).toBe(false);
      expect(providerRuns(p, 'acme/other/edit')).toBe(false);
      expect(providerRuns(p, 'flux-kontext-pro')).toBe(true);
      expect(modelNamesOf(p)).toContain('flux-kontext-max');
    }
    expect(providerRuns('runcomfy', 'not an id')).toBe(false);
  });

  it('knows provider names exactly', () => {
    for (const p of PROVIDER_NAMES) expect(isProviderName(p)).toBe(true);
    for (const p of ['RunComfy', 'bfl ', '', 'toString', '__proto__']) expect(isProviderName(p)).toBe(false);
  });
});
