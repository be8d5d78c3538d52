/**
 * Run colours: a qualitative palette of 12, told apart when drawn as 2 px lines. Every colour sits
 * at a middle lightness (CIE L* 48-60) so it has at least 3:1 contrast (WCAG's bar for graphics)
 * on both the light and the dark page surface, and they differ in hue and chroma instead; the
 * first six are the most distinct, since most comparisons hold a few runs.
 */
export const RUN_COLORS = [
  '#2f6fd0', // blue
  '#d9590b', // orange
  '#2e9e44', // green
  '#d43d51', // red
  '#8d5cd6', // purple
  '#0f9a94', // teal
  '#d5459f', // pink
  '#b88a00', // gold
  '#1c93d6', // sky
  '#9c6b30', // brown
  '#7f8f12', // olive
  '#6a7f99', // slate
] as const;
