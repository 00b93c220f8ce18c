/**
 * The page shape of the API: `{records, total, size, current, pages}`, pages counted from 1.
 */
export interface PageRequest {
  page: number;
  size: number;
}

export interface Page<T> {
  records: T[];
  total: number;
  size: number;
  current: number;
  pages: number;
}

export function pageOf<T>(records: T[], total: number, req: PageRequest): Page<T> {
  return {
    records,
    total,
    size: req.size,
    current: req.page,
    pages: Math.ceil(total / req.size),
  };
}

/** LIMIT and OFFSET of a page request. */
export function limitOffset(req: PageRequest): [number, number] {
  return [req.size, (req.page - 1) * req.size];
}

/** A LIKE pattern that matches `text` literally anywhere. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
