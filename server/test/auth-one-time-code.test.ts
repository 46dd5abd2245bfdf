/** One-time codes: 8 uniformly random decimal digits, checked against their MAC in constant time. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { codeMac, codeMatches, generateCode } from '../src/auth/one-time-code.js';

test('codes have 8 decimal digits, each uniformly distributed', () => {
  const samples = 50_000;
  const counts = Array.from({ length: 8 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < samples; i++) {
    const code = generateCode();
    assert.match(code, /^\d{8}$/);
    for (let p = 0; p < 8; p++) counts[p]![Number(code[p])]! += 1;
  }
  const expected = samples / 10;
  for (const position of counts) {
    const chiSquare = position.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: 45 is exceeded by chance with p < 1e-6; a biased generator exceeds it.
    assert.ok(chiSquare < 45, `chi-square ${chiSquare.toFixed(1)} for digit counts ${position.join(',')}`);
  }
});

test('a code matches its own MAC only, with spaces and dashes ignored', () => {
  const pepper = randomBytes(32);
  const mac = codeMac(pepper, 'otp-A', '12345678');
  assert.equal(codeMatches(pepper, 'otp-A', '12345678', mac), true);
  assert.equal(codeMatches(pepper, 'otp-A', '1234 5678', mac), true);
  assert.equal(codeMatches(pepper, 'otp-A', '1234-5678', mac), true);
  assert.equal(codeMatches(pepper, 'otp-A', '12345679', mac), false);
  assert.equal(codeMatches(pepper, 'otp-B', '12345678', mac), false, 'bound to its otp_id');
  assert.equal(codeMatches(randomBytes(32), 'otp-A', '12345678', mac), false, 'bound to the pepper');
  assert.equal(codeMatches(pepper, 'otp-A', '12345678', 'not-hex'), false);
});
