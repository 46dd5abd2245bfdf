/** The rows every benchmark writes, shared by the page and the Node side that seeds the server. */

export interface Row {
  id?: string;
  n: number;
  title: string;
  done: boolean;
  tags: string[];
  createdAt: Date;
  text: string;
}

const TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna.';

/** Rows of about 200 bytes of JSON each (100,000 of them are about 20 MB, as issue 10 says). */
export function makeRows(count: number, start = 0): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const n = start + k;
    return { n, title: `Item number ${n}`, done: n % 3 === 0, tags: ['bench', `t${n % 10}`], createdAt: new Date(1_800_000_000_000 + n), text: TEXT };
  });
}

