// The cut a multicast DNS response goes through before a DNS-SD browser sees it: only the records of browsed
// instances pass, with a cap on instances, records and addresses, whatever the packet holds.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  announcedInstances,
  MAX_INSTANCES_PER_RESPONSE,
  MAX_RECORDS_PER_RESPONSE,
  relevantRecords,
  type ResourceRecord
} from '../../../src/core/discovery/response-filter'
import { NUM_RUNS } from '../../support/runs'

const params = { numRuns: NUM_RUNS }
const TYPE = '_framecast._tcp.local'
const browsed = new Set([TYPE])
const admitAll = { browsed, admit: () => true }

const ptr = (instance: string, ttl = 4500): ResourceRecord => ({ name: TYPE, type: 'PTR', ttl, data: `${instance}.${TYPE}` })
const srv = (instance: string, target = 'box.local', port = 9999): ResourceRecord => ({ name: `${instance}.${TYPE}`, type: 'SRV', ttl: 120, data: { port, target } })
const txt = (instance: string): ResourceRecord => ({ name: `${instance}.${TYPE}`, type: 'TXT', ttl: 4500, data: [new Uint8Array([0x61])] })
const a = (target: string, address: string): ResourceRecord => ({ name: target, type: 'A', ttl: 120, data: address })

function describeService(instance: string, target = 'box.local'): ResourceRecord[] {
  return [ptr(instance), srv(instance, target), txt(instance), a(target, '10.0.0.1')]
}

describe('relevantRecords', () => {
  it('keeps a browsed instance with its SRV, TXT and address records, in answers or additionals', () => {
    const [p, s, t, addr] = describeService('Cam')
    const kept = relevantRecords({ answers: [p], additionals: [s, t, addr] }, admitAll)
    expect(kept.map((r) => r.type)).toEqual(['PTR', 'SRV', 'TXT', 'A'])
  })

  it('leaves out other service types, records of other instances and addresses of other hosts', () => {
    const other: ResourceRecord = { name: '_http._tcp.local', type: 'PTR', ttl: 4500, data: `Printer._http._tcp.local` }
    const packet = {
      answers: [...describeService('Cam'), other, srv('Ghost', 'ghost.local'), a('ghost.local', '10.0.0.66'), { name: 'box.local', type: 'HINFO', ttl: 1, data: {} }],
      additionals: []
    }
    const kept = relevantRecords(packet, admitAll)
    expect(kept).toHaveLength(4)
    expect(kept.some((r) => r.name.startsWith('Ghost') || r.data === '10.0.0.66' || r === other)).toBe(false)
  })

  it('matches names without case', () => {
    const kept = relevantRecords({ answers: [{ ...ptr('Cam'), name: TYPE.toUpperCase() }, { ...srv('Cam'), name: `CAM.${TYPE}` }] }, admitAll)
    expect(kept).toHaveLength(2)
  })

  it('takes no new instance the browser does not admit, but lets goodbyes through', () => {
    const admit = (fqdn: string): boolean => fqdn.startsWith('known')
    const packet = { answers: [...describeService('Stranger'), ...describeService('Known', 'known.local'), ptr('Gone', 0)] }
    const kept = relevantRecords(packet, { browsed, admit })
    expect(kept.filter((r) => r.type === 'PTR').map((r) => r.data)).toEqual([`Known.${TYPE}`, `Gone.${TYPE}`])
    expect(announcedInstances(kept)).toEqual([`known.${TYPE}`])
  })

  it('lets a goodbye through alone: records that come with it do not get an instance past the browser', () => {
    const kept = relevantRecords({ answers: [ptr('Sneaky', 0), srv('Sneaky'), txt('Sneaky'), a('box.local', '10.0.0.1')] }, { browsed, admit: () => false })
    expect(kept).toEqual([ptr('Sneaky', 0)])
    expect(announcedInstances(kept)).toEqual([])
  })

  it(`takes at most ${MAX_INSTANCES_PER_RESPONSE} instances from one response`, () => {
    const answers = Array.from({ length: 40 }, (_, i) => describeService(`Cam${i}`, `h${i}.local`)).flat()
    const kept = relevantRecords({ answers: answers.slice(0, MAX_RECORDS_PER_RESPONSE) }, admitAll)
    expect(new Set(kept.filter((r) => r.type === 'PTR').map((r) => r.data)).size).toBe(MAX_INSTANCES_PER_RESPONSE)
  })

  it(`looks at no response of more than ${MAX_RECORDS_PER_RESPONSE} records`, () => {
    const padding = Array.from({ length: MAX_RECORDS_PER_RESPONSE }, (_, i) => a(`pad${i}.local`, '10.9.9.9'))
    expect(relevantRecords({ answers: describeService('Cam'), additionals: padding }, admitAll)).toEqual([])
    expect(relevantRecords({ answers: describeService('Cam'), additionals: padding.slice(4) }, admitAll)).toHaveLength(4)
  })

  it('keeps at most 8 addresses for a host', () => {
    const addresses = Array.from({ length: 30 }, (_, i) => a('box.local', `10.0.0.${i}`))
    const kept = relevantRecords({ answers: [ptr('Cam'), srv('Cam')], additionals: addresses }, admitAll)
    expect(kept.filter((r) => r.type === 'A')).toHaveLength(8)
  })

  it('skips records whose fields have the wrong types', () => {
    const packet = {
      answers: [
        ptr('Cam'),
        { name: TYPE, type: 'PTR', ttl: 4500, data: { evil: true } },
        { name: 7, type: 'SRV', ttl: 120, data: { port: 1, target: 'x' } },
        { name: `Cam.${TYPE}`, type: 'SRV', ttl: 'long', data: { port: 1, target: 'x' } },
        { name: `Cam.${TYPE}`, type: 'SRV', ttl: 120, data: { port: '1', target: 'x' } },
        { name: `Cam.${TYPE}`, type: 'TXT', ttl: 120, data: 'not a list' },
        { name: `Cam.${TYPE}`, type: 'SRV', ttl: -5, data: { port: 1, target: 'x' } },
        null,
        'text',
        srv('Cam')
      ]
    }
    expect(relevantRecords(packet, admitAll).map((r) => r.type)).toEqual(['PTR', 'SRV'])
  })

  it.each([null, undefined, 'packet', 7, [], {}, { answers: 'x' }])('gives nothing for %j', (packet) => {
    expect(relevantRecords(packet, admitAll)).toEqual([])
  })

  it('never throws, and never gives more than it was given or records of names not browsed', () => {
    const name = fc.oneof(fc.constantFrom(TYPE, `Cam.${TYPE}`, `Cam2.${TYPE}`, 'box.local', 'other.local'), fc.string({ maxLength: 20 }), fc.anything())
    const record = fc.oneof(
      fc.record({
        name,
        type: fc.oneof(fc.constantFrom('PTR', 'SRV', 'TXT', 'A', 'AAAA', 'NSEC'), fc.anything()),
        ttl: fc.oneof(fc.integer({ min: -1, max: 5000 }), fc.anything()),
        data: fc.oneof(name, fc.record({ port: fc.oneof(fc.nat(), fc.anything()), target: name }), fc.array(fc.uint8Array()), fc.anything())
      }),
      fc.anything()
    )
    const packet = fc.oneof(fc.record({ answers: fc.array(record, { maxLength: 40 }), additionals: fc.array(record, { maxLength: 40 }) }, { requiredKeys: [] }), fc.anything())
    fc.assert(
      fc.property(packet, fc.boolean(), (p, admitting) => {
        const kept = relevantRecords(p, { browsed, admit: () => admitting })
        const given = p && typeof p === 'object' ? [(p as { answers?: unknown }).answers, (p as { additionals?: unknown }).additionals].filter(Array.isArray).flat() : []
        expect(kept.length).toBeLessThanOrEqual(given.length)
        for (const r of kept.filter((r) => r.type === 'PTR')) expect(r.name.toLowerCase()).toBe(TYPE)
        if (!admitting) expect(announcedInstances(kept)).toEqual([])
      }),
      params
    )
  })
})
