import { css } from 'lit';

export const loginStyles = css`
  dialog {
    box-sizing: border-box;
    width: min(100% - 2rem, var(--dxc-login-max-width, 24rem));
    padding: 1.5rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    box-shadow: 0 12px 32px rgb(0 0 0 / 0.25);
  }
  dialog::backdrop {
    background: var(--dxc-login-backdrop, rgb(0 0 0 / 0.45));
  }
  h2 {
    margin: 0 0 1rem;
    font-size: 1.25rem;
  }
  p {
    margin: 0 0 1rem;
  }
  [part~='alert'] {
    padding: 0.6rem 0.8rem;
    border-radius: var(--_radius);
    border-left: 4px solid var(--_muted);
    background: color-mix(in srgb, var(--_muted) 12%, var(--_surface));
  }
  [part~='alert-error'] {
    border-color: var(--_danger);
  }
  [part~='alert-warning'] {
    border-color: var(--_warning);
  }
  [part~='alert-info'] {
    border-color: var(--_accent);
  }
  label {
    display: grid;
    gap: 0.3rem;
    margin-bottom: 1rem;
    font-weight: 600;
  }
  input {
    font: inherit;
    font-weight: 400;
    padding: 0.5rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
  }
  [part='options'],
  [part='actions'] {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  [part='options'] {
    margin-bottom: 1rem;
  }
  [part='actions'] {
    justify-content: flex-end;
  }
  img {
    width: 1.1em;
    height: 1.1em;
    vertical-align: -0.2em;
  }
  [part='busy'] {
    margin: 0.75rem 0 0;
    color: var(--_muted);
  }
  [part='busy']:empty {
    margin: 0;
  }
`;
