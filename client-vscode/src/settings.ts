// Maps the flat VS Code settings `infill.*` to the nested object the server reads
// (initializationOptions and the `workspace/configuration` section "infill").
// Pure: no `vscode` import, so it is unit-tested with node's test runner.

export interface InfillServerSettings {
  model: { path: string | null; nGpuLayers: number | null; nCtx: number; vramBudgetMb: number };
  completion: {
    enabled: boolean;
    maxTokens: number;
    promptBudgetTokens: number;
    disabledLanguages: string[];
  };
  engine: {
    kind: 'llama_cpp' | 'remote';
    url: string | null;
    apiKeyEnv: string | null;
    model: string | null;
  };
  context: { budgetTokens: number | null };
  hover: { generatedSummaries: boolean };
}

/** The defaults; they match the `default`s in package.json. */
export const DEFAULT_SETTINGS: InfillServerSettings = {
  model: { path: null, nGpuLayers: null, nCtx: 4096, vramBudgetMb: 8192 },
  completion: { enabled: true, maxTokens: 64, promptBudgetTokens: 1536, disabledLanguages: [] },
  engine: { kind: 'llama_cpp', url: null, apiKeyEnv: null, model: null },
  context: { budgetTokens: null },
  hover: { generatedSummaries: true },
};

/** Reads one setting by its key below `infill.` (e.g. "model.path"); undefined when unset. */
export type SettingReader = (key: string) => unknown;

// Each reader returns the value when it has the right type, else the fallback.
// A wrong value in settings.json must never stop the extension.
function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
function integer(value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
}
function optionalInteger(value: unknown, min: number): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : null;
}
function boolean(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}
function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Builds the object sent to the server from the user's settings. */
export function toServerSettings(read: SettingReader): InfillServerSettings {
  const d = DEFAULT_SETTINGS;
  const kind = read('engine.kind');
  return {
    model: {
      path: optionalString(read('model.path')),
      nGpuLayers: optionalInteger(read('model.nGpuLayers'), -1),
      nCtx: integer(read('model.nCtx'), d.model.nCtx, 256),
      vramBudgetMb: integer(read('model.vramBudgetMb'), d.model.vramBudgetMb, 256),
    },
    completion: {
      enabled: boolean(read('completion.enabled'), d.completion.enabled),
      maxTokens: integer(read('completion.maxTokens'), d.completion.maxTokens, 1),
      promptBudgetTokens: integer(read('completion.promptBudgetTokens'), d.completion.promptBudgetTokens, 64),
      disabledLanguages: stringList(read('completion.disabledLanguages')),
    },
    engine: {
      kind: kind === 'remote' ? 'remote' : 'llama_cpp',
      url: optionalString(read('engine.url')),
      apiKeyEnv: optionalString(read('engine.apiKeyEnv')),
      model: optionalString(read('engine.model')),
    },
    context: {
      budgetTokens: optionalInteger(read('context.budgetTokens'), 0),
    },
    hover: {
      generatedSummaries: boolean(read('hover.generatedSummaries'), d.hover.generatedSummaries),
    },
  };
}

/** Whether inline completions should be asked for a document of this language. */
export function completionWanted(settings: InfillServerSettings, languageId: string): boolean {
  return settings.completion.enabled && !settings.completion.disabledLanguages.includes(languageId);
}
