/**
 * Errors leave the API as RFC 9457 problem+json documents with a stable `code`, an English `title`
 * and `detail`, and the Chinese text beside them (`titleZh`, `detailZh`).
 */
export interface ProblemDocument {
  type: string;
  title: string;
  titleZh: string;
  status: number;
  code: string;
  detail?: string;
  detailZh?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldProblem[];
}

/**
 * One entry of `errors`: the field (a dotted path for nested values, e.g. `standards.0.code`) and what is wrong
 * with it. Entries made from a DTO check (`VALIDATION_FAILED`) also name the class-validator `constraint`
 * (`isUuid`, `isLength`, `whitelistValidation`, …) and give the text in English (`en`) and Chinese (`zh`);
 * `message` is always there (the English text) for clients that read only it.
 */
export interface FieldProblem {
  field: string;
  message: string;
  constraint?: string;
  en?: string;
  zh?: string;
}

export interface Bilingual {
  en: string;
  zh: string;
}

/** Base of every context exception: each context defines its own enum of codes and maps them to HTTP. */
export abstract class AppException extends Error {
  protected constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Bilingual,
    readonly detail?: Bilingual,
    readonly errors?: FieldProblem[],
  ) {
    super(`${code}: ${text.en}`);
  }
}

export const PROBLEM_TYPE_BASE = 'https://github.com/fuxin-grid/fuxin-grid-cases/blob/main/docs/errors.md#';

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}
