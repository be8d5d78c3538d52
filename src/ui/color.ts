/**
 * Colour arithmetic for what the page paints itself (heat-map cells): WCAG 2's relative luminance
 * and contrast ratio, and CSS's `color-mix(in srgb, ...)`, on `#rrggbb` colours.
 */

/** A `#rrggbb` colour's channels, 0-255. */
function channels(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [0, 2, 4].map((i) => Number.parseInt(m[1].slice(i, i + 2), 16)) as [number, number, number];
}

/** A colour's channels in linear light (0-1), as WCAG and CIE colour spaces start from. */
export function linearRgb(hex: string): [number, number, number] {
  return channels(hex).map((c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
}

/** WCAG 2's relative luminance: 0 for black, 1 for white. */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = linearRgb(hex);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2's contrast ratio of two colours, 1 to 21 (AA asks 4.5 of body text, 3 of graphics). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `color-mix(in srgb, a p, b)`: `a` for p = 1, `b` for p = 0, mixed channel by channel in sRGB. */
export function mixSrgb(a: string, b: string, p: number): string {
  const [x, y] = [channels(a), channels(b)];
  return `#${x
    .map((c, i) =>
      Math.round(c * p + y[i] * (1 - p))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** Black or white, whichever reads better on `background` (at least 4.58:1 on any colour). */
export function textOn(background: string): '#000000' | '#ffffff' {
  return contrastRatio(background, '#000000') >= contrastRatio(background, '#ffffff') ? '#000000' : '#ffffff';
}
