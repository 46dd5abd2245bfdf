/** Weather glyphs as inline SVG (no emoji font needed), one per family of WMO weather codes. */

const SUN = '<circle cx="12" cy="12" r="4.5"/><path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8"/>';
const CLOUD = '<path d="M7 18h10.5a4 4 0 0 0 .4-8 6 6 0 0 0-11.6 1.6A3.2 3.2 0 0 0 7 18z"/>';
const SUN_CLOUD = '<path d="M9 3.5v1.5M3.5 9H5M5.1 5.1l1 1M12.9 5.1l-1 1"/><path d="M6.2 11.2A3.8 3.8 0 0 1 12.6 8"/><path d="M8.5 20h9a3.5 3.5 0 0 0 .4-7 5 5 0 0 0-9.7 1.4A2.8 2.8 0 0 0 8.5 20z"/>';
const RAIN = `${CLOUD.replace('18h', '15h').replace('A3.2 3.2 0 0 0 7 18z', 'A3.2 3.2 0 0 0 7 15z')}<path d="M8 18l-1 3M12 18l-1 3M16 18l-1 3"/>`;
const SNOW = `${CLOUD.replace('18h', '15h').replace('A3.2 3.2 0 0 0 7 18z', 'A3.2 3.2 0 0 0 7 15z')}<path d="M8 19h.01M12 20h.01M16 19h.01M10 22h.01M14 22h.01"/>`;
const FOG = '<path d="M4 9h16M6 13h12M4 17h16"/>';
const STORM = `${CLOUD.replace('18h', '15h').replace('A3.2 3.2 0 0 0 7 18z', 'A3.2 3.2 0 0 0 7 15z')}<path d="M12.5 15l-2 3.5h3l-2 3.5"/>`;

function glyph(code: number): string {
  if (code <= 1) return SUN;
  if (code === 2) return SUN_CLOUD;
  if (code === 3) return CLOUD;
  if (code <= 48) return FOG;
  if (code <= 67 || (code >= 80 && code <= 82)) return RAIN;
  if (code <= 77 || code === 85 || code === 86) return SNOW;
  return STORM;
}

/** An SVG icon for `code`; decorative unless `label` is given. */
export function weatherIcon(code: number, label?: string): SVGSVGElement {
  const template = document.createElement('template');
  template.innerHTML = `<svg class="weather-icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${glyph(code)}</svg>`;
  const svg = template.content.firstElementChild as SVGSVGElement;
  svg.dataset.code = String(code);
  if (code <= 2) svg.classList.add('sunny');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else svg.setAttribute('aria-hidden', 'true');
  return svg;
}
