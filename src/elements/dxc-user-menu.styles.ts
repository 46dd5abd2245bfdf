import { css } from 'lit';

export const userMenuStyles = css`
  :host {
    display: inline-block;
    position: relative;
  }
  [part='trigger'] {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    padding: 0.2rem 0.75rem 0.2rem 0.2rem;
    border-radius: 2rem;
  }
  [part='avatar'] {
    --_avatar: var(--dxc-user-menu-avatar-size, 1.75rem);
    display: inline-grid;
    place-items: center;
    width: var(--_avatar);
    height: var(--_avatar);
    border-radius: 50%;
    background: var(--_accent);
    color: var(--_on-accent);
    font-weight: 700;
  }
  [part='menu'] {
    position: absolute;
    z-index: 1;
    right: 0;
    top: calc(100% + 0.25rem);
    width: max-content;
    min-width: 12rem;
    max-width: min(22rem, 90vw);
    padding: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    box-shadow: 0 4px 12px rgb(0 0 0 / 0.2);
  }
  [part='user'] {
    margin: 0 0 0.75rem;
    color: var(--_muted);
    overflow-wrap: anywhere;
  }
  [part='logout-button'] {
    width: 100%;
  }
`;
