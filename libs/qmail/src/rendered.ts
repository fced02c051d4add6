export interface RenderedFile {
  /** relative to the qmail home, e.g. `control/locals` */
  path: string;
  content: string;
  mode: number;
}

export interface RenderedSet {
  files: RenderedFile[];
  removes: string[];
}

/**
 * QMAIL.md §0: control files must be readable by every qmail user; §3: `.qmail` files must not
 * be world-writable. 0644 for all.
 */
export const FILE_MODE = 0o644;
