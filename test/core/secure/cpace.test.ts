// CPace against the draft's own numbers: draft-irtf-cfrg-cpace-21, appendix A (string functions) and appendix B.3
// ("Test vector for CPace using group ristretto255 and hash SHA-512").

import { describe, expect, it } from 'vitest'
import {
  calculateGenerator,
  CpaceParty,
  generatorString,
  intermediateSessionKey,
  lvCat,
  prependLen,
  scalarFromBytes,
  scalarMult,
  scalarMultVfy,
  transcriptIr
} from '../../../src/core/secure/cpace'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const text = (s: string): Buffer => Buffer.from(s, 'latin1')

// Appendix B.3 inputs.
const PRS = text('Password')
const CI = hex('0b415f696e69746961746f720b425f726573706f6e646572')
const SID = hex('7e4b4791d6a8ef019b936c79fb7f2c57')
const YA_SCALAR = hex('da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08')
const YB_SCALAR = hex('d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d')
const YA = 'd6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157'
const YB = '3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258'
const K = '80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f'
const ISK_IR =
  'b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447'

describe('CPace string functions (draft appendix A)', () => {
  it('prepend_len writes the length in LEB128', () => {
    expect(prependLen(new Uint8Array(0)).toString('hex')).toBe('00')
    expect(prependLen(text('1234')).toString('hex')).toBe('0431323334')
    const r127 = Uint8Array.from({ length: 127 }, (_, i) => i)
    expect(prependLen(r127).subarray(0, 2).toString('hex')).toBe('7f00')
    const r128 = Uint8Array.from({ length: 128 }, (_, i) => i)
    const p = prependLen(r128)
    expect(p.length).toBe(130)
    expect(p.subarray(0, 3).toString('hex')).toBe('800100')
  })

  it('lv_cat joins length-value pairs', () => {
    expect(lvCat(text('1234'), text('5'), text(''), text('678')).toString('hex')).toBe('043132333401350003363738')
  })

  it('transcript_ir orders the initiator first', () => {
    expect(transcriptIr(text('123'), text('PartyA'), text('234'), text('PartyB')).toString('hex')).toBe(
      '03313233065061727479410332333406506172747942'
    )
  })
})

describe('CPace-RISTRETTO255-SHA512 (draft appendix B.3)', () => {
  it('builds the generator string and the generator', () => {
    const s = generatorString(PRS, CI, SID)
    expect(s.length).toBe(170)
    expect(s.subarray(0, 28).toString('hex')).toBe('11435061636552697374726574746f3235350850617373776f726464')
    expect(s.subarray(-42).toString('hex')).toBe('180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57')
    expect(Buffer.from(calculateGenerator(PRS, CI, SID).toBytes()).toString('hex')).toBe(
      '222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56'
    )
  })

  it('computes Ya, Yb, K and the initiator-responder ISK', () => {
    const g = calculateGenerator(PRS, CI, SID)
    const ya = scalarFromBytes(YA_SCALAR)
    const yb = scalarFromBytes(YB_SCALAR)
    expect(Buffer.from(scalarMult(ya, g)).toString('hex')).toBe(YA)
    expect(Buffer.from(scalarMult(yb, g)).toString('hex')).toBe(YB)
    expect(Buffer.from(scalarMultVfy(ya, hex(YB))!).toString('hex')).toBe(K)
    expect(Buffer.from(scalarMultVfy(yb, hex(YA))!).toString('hex')).toBe(K)
    const isk = intermediateSessionKey(SID, hex(K), transcriptIr(hex(YA), text('ADa'), hex(YB), text('ADb')))
    expect(Buffer.from(isk).toString('hex')).toBe(ISK_IR)
  })

  it('gives both parties the vector ISK through CpaceParty', () => {
    const inputs = { prs: PRS, ci: CI, sid: SID }
    const a = new CpaceParty(inputs, 'initiator', scalarFromBytes(YA_SCALAR))
    const b = new CpaceParty(inputs, 'responder', scalarFromBytes(YB_SCALAR))
    expect(Buffer.from(a.share).toString('hex')).toBe(YA)
    expect(Buffer.from(b.share).toString('hex')).toBe(YB)
    expect(Buffer.from(a.finish(b.share, text('ADa'), text('ADb'))!).toString('hex')).toBe(ISK_IR)
    expect(Buffer.from(b.finish(a.share, text('ADb'), text('ADa'))!).toString('hex')).toBe(ISK_IR)
  })

  it('scalar_mult_vfy refuses an element that does not decode and the identity', () => {
    const s = scalarFromBytes(hex('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05'))
    const valid = hex('2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c')
    expect(Buffer.from(scalarMultVfy(s, valid)!).toString('hex')).toBe('7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e')
    expect(scalarMultVfy(s, hex('2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c'))).toBeNull()
    expect(scalarMultVfy(s, new Uint8Array(32))).toBeNull()
  })

  it('random runs agree only when the password, CI and sid all match', () => {
    const inputs = { prs: text('123456'), ci: CI, sid: SID }
    const a = new CpaceParty(inputs, 'initiator')
    const b = new CpaceParty(inputs, 'responder')
    expect(Buffer.from(a.finish(b.share)!).equals(Buffer.from(b.finish(a.share)!))).toBe(true)
    for (const other of [{ ...inputs, prs: text('123457') }, { ...inputs, ci: text('x') }, { ...inputs, sid: text('y') }]) {
      const c = new CpaceParty(other, 'responder')
      expect(Buffer.from(a.finish(c.share)!).equals(Buffer.from(c.finish(a.share)!))).toBe(false)
    }
  })
})
