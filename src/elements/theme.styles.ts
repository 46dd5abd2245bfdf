import { css } from 'lit';

/**
 * The shared design tokens. Each public `--dxc-*` property is read once into a private `--_*` one,
 * with a light default and a dark default chosen by `prefers-color-scheme`; setting a `--dxc-*`
 * property (at `:root` or on an element) overrides both schemes.
 */
export const themeStyles = css`
  :host {
    --_accent: var(--dxc-color-accent, #1f5fcc);
    --_on-accent: var(--dxc-color-on-accent, #fff);
    --_danger: var(--dxc-color-danger, #b42318);
    --_warning: var(--dxc-color-warning, #8a4b00);
    --_success: var(--dxc-color-success, #1a7f37);
    --_surface: var(--dxc-color-surface, #fff);
    --_text: var(--dxc-color-text, #1f2328);
    --_muted: var(--dxc-color-muted, #59636e);
    --_border: var(--dxc-color-border, #c9d1d9);
    --_radius: var(--dxc-radius, 0.5rem);
    --_focus: var(--dxc-focus-ring, 2px solid var(--_accent));
    font: 0.9375rem/1.4 var(--dxc-font, system-ui, sans-serif);
    color: var(--_text);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--dxc-color-accent, #79b0ff);
      --_on-accent: var(--dxc-color-on-accent, #0d1117);
      --_danger: var(--dxc-color-danger, #ff8b82);
      --_warning: var(--dxc-color-warning, #e3b341);
      --_success: var(--dxc-color-success, #57d36b);
      --_surface: var(--dxc-color-surface, #1c2128);
      --_text: var(--dxc-color-text, #e6edf3);
      --_muted: var(--dxc-color-muted, #9ea8b3);
      --_border: var(--dxc-color-border, #444c56);
    }
  }
  [hidden] {
    display: none !important;
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: var(--_radius);
    padding: 0.45em 1em;
    border: 1px solid var(--_border);
    background: var(--_surface);
    color: var(--_text);
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
  }
  button:disabled {
    cursor: progress;
    opacity: 0.7;
  }
  :focus-visible {
    outline: var(--_focus);
    outline-offset: 2px;
  }
`;
