import { sha256 } from './hash';

describe('sha256', () => {
  it('hashes strings as UTF-8 and buffers as bytes, in hex', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(Buffer.from('é'))).toBe(sha256('é'));
  });
});
