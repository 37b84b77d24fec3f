// "Infill: Select Model": the quick pick's items, built from the server's `infill/models`
// result, and the steps of a download's progress. Pure (no `vscode` import), unit-tested.
//
// Sections, in this order: "in use", "on this machine" (models found in other tools' caches),
// "downloaded" (pulled registry models), "download" (registry models not pulled yet) and
// "embedded". Each model appears once: a model in use is listed under "in use" only.

/** The server request that lists the models, and the one that downloads a registry model. */
export const MODELS_REQUEST = 'infill/models';
export const PULL_REQUEST = 'infill/pullModel';

export type InUse = 'completion' | 'explain' | null;
/** The settings a pick writes (below the `infill` section). */
export type ModelSetting = 'model.path' | 'explain.model';

export interface EmbeddedModel {
  name: string;
  path: string;
  sizeBytes: number | null;
  inUse: InUse;
}

export interface RegistryModel {
  name: string;
  role: 'completion' | 'explain';
  description: string;
  source: string;
  sizeBytes: number | null;
  sizeApproximate: boolean;
  vramMb: number | null;
  fits: boolean | null;
  pulled: boolean;
  partialBytes: number | null;
  path: string;
  inUse: InUse;
}

export interface FoundModel {
  name: string;
  path: string;
  source: string;
  /** What its header says it is good for: "completion", "completion or chat", "chat", "no FIM tokens". */
  kind: string;
  sizeBytes: number | null;
  gpuMb: number | null;
  fits: boolean | null;
  inUse: InUse;
}

export interface ModelsResult {
  modelPath: string;
  explainModel: string;
  engineKind: string;
  vramBudgetMb: number;
  modelsDir: string;
  embedded: EmbeddedModel | undefined;
  registry: RegistryModel[];
  found: FoundModel[];
  errors: string[];
}

/** What picking an item does. */
export type PickAction =
  | { kind: 'set'; setting: ModelSetting; value: string | undefined; name: string }
  | { kind: 'pull'; setting: ModelSetting; name: string; sizeBytes: number | null }
  | { kind: 'unusable'; reason: string };

export type PickEntry =
  | { kind: 'separator'; label: string }
  | { kind: 'item'; label: string; description: string; detail: string; action: PickAction };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);
const inUse = (value: unknown): InUse => (value === 'completion' || value === 'explain' ? value : null);
const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** Reads an `infill/models` result defensively: missing or malformed parts become empty. */
export function parseModelsResult(result: unknown): ModelsResult | undefined {
  if (!isObject(result)) return undefined;
  const embedded = isObject(result.embedded)
    ? { name: str(result.embedded.name), path: str(result.embedded.path), sizeBytes: num(result.embedded.sizeBytes), inUse: inUse(result.embedded.inUse) }
    : undefined;
  return {
    modelPath: str(result.modelPath),
    explainModel: str(result.explainModel),
    engineKind: str(result.engineKind),
    vramBudgetMb: num(result.vramBudgetMb) ?? 0,
    modelsDir: str(result.modelsDir),
    embedded,
    registry: list(result.registry)
      .filter((item) => str(item.name))
      .map((item) => ({
        name: str(item.name),
        role: item.role === 'explain' ? 'explain' : 'completion',
        description: str(item.description),
        source: str(item.source),
        sizeBytes: num(item.sizeBytes),
        sizeApproximate: item.sizeApproximate === true,
        vramMb: num(item.vramMb),
        fits: bool(item.fits),
        pulled: item.pulled === true,
        partialBytes: num(item.partialBytes),
        path: str(item.path),
        inUse: inUse(item.inUse),
      })),
    found: list(result.found)
      .filter((item) => str(item.name))
      .map((item) => ({
        name: str(item.name),
        path: str(item.path),
        source: str(item.source),
        kind: str(item.kind),
        sizeBytes: num(item.sizeBytes),
        gpuMb: num(item.gpuMb),
        fits: bool(item.fits),
        inUse: inUse(item.inUse),
      })),
    errors: Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string') : [],
  };
}

/** "18.7 MB", "986 MB", "4.7 GB" (decimal units, as model downloads are listed). */
export function formatSize(bytes: number | null, approximate = false): string {
  if (bytes === null || bytes < 0) return 'size unknown';
  const prefix = approximate ? '~' : '';
  if (bytes >= 1e9) return `${prefix}${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e8) return `${prefix}${Math.round(bytes / 1e6)} MB`;
  return `${prefix}${(bytes / 1e6).toFixed(1)} MB`;
}

export function fitText(fits: boolean | null): string | undefined {
  if (fits === true) return 'fits this GPU';
  if (fits === false) return 'too big for the GPU budget';
  return undefined;
}

const joined = (...parts: (string | undefined)[]): string => parts.filter((part) => part).join(' · ');

function inUseText(use: InUse): string | undefined {
  if (use === 'completion') return 'in use for completions (infill.model.path)';
  if (use === 'explain') return 'in use for Explain (infill.explain.model)';
  return undefined;
}

function gpuText(mb: number | null, budgetMb: number): string | undefined {
  if (mb === null) return undefined;
  return `~${(mb / 1024).toFixed(1)} GiB of GPU memory${budgetMb ? ` (budget ${(budgetMb / 1024).toFixed(1)} GiB)` : ''}`;
}

function registryItem(model: RegistryModel, budgetMb: number): PickEntry {
  const setting: ModelSetting = model.role === 'explain' ? 'explain.model' : 'model.path';
  const role = model.role === 'explain' ? 'explain (chat)' : 'completion';
  let state: string;
  if (model.pulled) state = 'downloaded';
  else if (model.partialBytes) state = `${formatSize(model.partialBytes)} downloaded; picking it resumes the download`;
  else state = 'not downloaded: picking it downloads it';
  return {
    kind: 'item',
    label: model.inUse ? `$(check) ${model.name}` : model.name,
    description: joined(role, formatSize(model.sizeBytes, model.sizeApproximate), fitText(model.fits)),
    detail: joined(inUseText(model.inUse), model.pulled ? undefined : state, model.description, gpuText(model.vramMb, budgetMb)),
    action: model.pulled ? { kind: 'set', setting, value: model.name, name: model.name } : { kind: 'pull', setting, name: model.name, sizeBytes: model.sizeBytes },
  };
}

function foundItem(model: FoundModel, budgetMb: number): PickEntry {
  const kind = model.kind || 'unknown kind';
  let action: PickAction;
  if (kind === 'chat') action = { kind: 'set', setting: 'explain.model', value: model.name, name: model.name };
  else if (kind.startsWith('completion')) action = { kind: 'set', setting: 'model.path', value: model.name, name: model.name };
  else action = { kind: 'unusable', reason: `${model.name} has no fill-in-the-middle tokens and no chat template: Infill cannot complete or explain with it.` };
  return {
    kind: 'item',
    label: model.inUse ? `$(check) ${model.name}` : model.name,
    description: joined(kind, formatSize(model.sizeBytes), fitText(model.fits)),
    detail: joined(inUseText(model.inUse), gpuText(model.gpuMb, budgetMb), `${model.source}: ${model.path}`),
    action,
  };
}

function embeddedItem(model: EmbeddedModel): PickEntry {
  return {
    kind: 'item',
    label: model.inUse ? `$(check) ${model.name}` : model.name,
    description: joined('completion', formatSize(model.sizeBytes), 'runs on the CPU'),
    detail: joined(inUseText(model.inUse), "Infill's own tiny model, for trying Infill out; a real code model completes far better"),
    action: { kind: 'set', setting: 'model.path', value: undefined, name: model.name },
  };
}

/** The quick pick's entries: separators and items, in the sections' order; empty sections left out. */
export function modelPickEntries(result: ModelsResult): PickEntry[] {
  const budget = result.vramBudgetMb;
  const sections: [string, PickEntry[]][] = [
    ['in use', []],
    ['on this machine', []],
    ['downloaded', []],
    ['download', []],
    ['embedded', []],
  ];
  const [inUseSection, found, downloaded, download, embedded] = sections.map(([, items]) => items);
  // Completion model first among those in use.
  const inUseOrder = (use: InUse) => (use === 'completion' ? 0 : 1);
  const used: [InUse, PickEntry][] = [];
  if (result.embedded) {
    if (result.embedded.inUse) used.push([result.embedded.inUse, embeddedItem(result.embedded)]);
    else embedded.push(embeddedItem(result.embedded));
  }
  for (const model of result.found) {
    if (model.inUse) used.push([model.inUse, foundItem(model, budget)]);
    else found.push(foundItem(model, budget));
  }
  for (const model of result.registry) {
    if (model.inUse) used.push([model.inUse, registryItem(model, budget)]);
    else (model.pulled ? downloaded : download).push(registryItem(model, budget));
  }
  used.sort((a, b) => inUseOrder(a[0]) - inUseOrder(b[0]));
  inUseSection.push(...used.map(([, item]) => item));
  const entries: PickEntry[] = [];
  for (const [label, items] of sections) {
    if (items.length === 0) continue;
    entries.push({ kind: 'separator', label }, ...items);
  }
  return entries;
}

/** The params of `infill/pullModel`: the registry name and the token the progress goes to. */
export function pullParams(name: string, workDoneToken: string): { name: string; workDoneToken: string } {
  return { name, workDoneToken };
}

/** The path from an `infill/pullModel` result, when it has one. */
export function pulledPath(result: unknown): string | undefined {
  return isObject(result) && typeof result.path === 'string' ? result.path : undefined;
}

/**
 * Turns work-done progress values (begin/report/end, with absolute percentages) into the
 * steps VS Code's progress notification wants (a message and an increment since the last).
 */
export class ProgressSteps {
  private percentage = 0;

  next(value: unknown): { message?: string; increment?: number } | undefined {
    if (!isObject(value) || (value.kind !== 'begin' && value.kind !== 'report')) return undefined;
    const step: { message?: string; increment?: number } = {};
    if (typeof value.message === 'string') step.message = value.message;
    const percentage = num(value.percentage);
    if (percentage !== null && percentage > this.percentage) {
      step.increment = Math.min(100, percentage) - this.percentage;
      this.percentage = Math.min(100, percentage);
    }
    return step.message !== undefined || step.increment !== undefined ? step : undefined;
  }
}

/**
 * Whether to offer choosing a model: the embedded model is ready and in use, and the notice
 * was not shown on this install before.
 */
export function offersModelChoice(status: { state: string; embedded: boolean }, alreadyShown: boolean): boolean {
  return !alreadyShown && status.state === 'ready' && status.embedded;
}
