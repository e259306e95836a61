/** The sections of `processdistro bench`, in the order they run. */
export const SECTIONS = ['kernel', 'matmul', 'pbkdf2', 'chunks', 'datachannel', 'render'] as const;
export type Section = (typeof SECTIONS)[number];

/** One line of the table. */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The figure meets its target when value ≥ min. */
  target?: number;
  detail?: string;
}
