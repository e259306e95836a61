/** The sections of `processdistro bench`, in the order they run. */
export const SECTIONS = ['kernel', 'chunks', 'datachannel', 'render'] as const;
export type Section = (typeof SECTIONS)[number];
