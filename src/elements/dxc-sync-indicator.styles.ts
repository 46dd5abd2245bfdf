import { css } from 'lit';

export const syncIndicatorStyles = css`
  :host {
    --_size: var(--dxc-sync-indicator-size, 1.25rem);
    --_state: var(--_muted);
    display: inline-block;
    position: relative;
  }
  :host([state='in-sync']) {
    --_state: var(--_success);
  }
  :host([state='pushing']),
  :host([state='pulling']) {
    --_state: var(--_accent);
  }
  :host([state='error']) {
    --_state: var(--_danger);
  }
  :host([state='needs-auth']) {
    --_state: var(--_warning);
  }
  [part='base'] {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.5rem;
    padding: 0.25rem 0.75rem 0.25rem 0.25rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_size) + 0.5rem);
    background: var(--_surface);
  }
  :host([variant='compact']) [part='base'] {
    padding: 0.25rem;
  }
  [part='icon'] {
    display: inline-grid;
    place-items: center;
    width: var(--_size);
    height: var(--_size);
    border-radius: 50%;
    background: var(--_state);
    color: var(--_surface);
    font-size: calc(var(--_size) * 0.7);
    font-weight: 700;
    line-height: 1;
  }
  :host([state='pushing']) [part='icon'],
  :host([state='pulling']) [part='icon'],
  :host([state='connecting']) [part='icon'] {
    animation: pulse 1.2s ease-in-out infinite alternate;
  }
  @keyframes pulse {
    to {
      opacity: 0.55;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    [part='icon'] {
      animation: none !important;
    }
  }
  [part='count'] {
    min-width: 1.2em;
    padding: 0 0.35em;
    border-radius: 1em;
    background: var(--_accent);
    color: var(--_on-accent);
    font-size: 0.8em;
    text-align: center;
  }
  [part='time'] {
    color: var(--_muted);
    font-size: 0.875em;
  }
  [part='progress'] {
    /* A full row under the text, without widening the pill beyond its text. */
    flex: 1 0 100%;
    width: 0;
    height: 0.35rem;
    accent-color: var(--_accent);
  }
  [part='details'] {
    display: none;
    position: absolute;
    z-index: 1;
    top: calc(100% + 0.25rem);
    left: 0;
    width: max-content;
    max-width: 20rem;
    padding: 0.4rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    box-shadow: 0 4px 12px rgb(0 0 0 / 0.2);
  }
  [part='details'] > * {
    display: block;
  }
  :host(:hover) [part='details'],
  [part='base']:focus [part='details'] {
    display: block;
  }
  .hidden-text {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
