// Where `framecast broadcast` gets its JPEG frames: an MJPEG byte stream (a file or standard input) split into
// images, or a folder of .jpg/.jpeg files in name order.

import { createReadStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { FramecastError } from '../core/errors'
import { JpegSplitter } from '../core/jpeg/jpeg-splitter'

export interface FrameSource {
  /** What it is, for messages. */
  readonly label: string
  /** True when frames should be paced at --fps (files and folders); false for a live stream on stdin. */
  readonly paced: boolean
  /** JPEG frames in order; with `loop`, files and folders start over at the end. */
  frames(loop: boolean): AsyncGenerator<Buffer>
}

const JPEG_NAME = /\.jpe?g$/i

async function* splitStream(stream: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  const splitter = new JpegSplitter({ maxBytes })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const image of splitter.push(chunk)) yield image
  }
}

/** `-` for standard input, a folder of JPEGs, or an MJPEG file. Throws INVALID_ARGUMENT when unusable. */
export async function openSource(spec: string, stdin: Readable, maxBytes: number): Promise<FrameSource> {
  if (spec === '-') {
    return {
      label: 'standard input',
      paced: false,
      frames: () => splitStream(stdin, maxBytes)
    }
  }
  let info
  try {
    info = await stat(spec)
  } catch (e) {
    throw new FramecastError('INVALID_ARGUMENT', `Cannot read the source ${spec}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  if (info.isDirectory()) {
    const names = (await readdir(spec)).filter((n) => JPEG_NAME.test(n)).sort()
    if (names.length === 0) throw new FramecastError('INVALID_ARGUMENT', `The folder ${spec} has no .jpg or .jpeg files`)
    return {
      label: `${names.length} JPEG files in ${spec}`,
      paced: true,
      frames: async function* (loop) {
        do {
          for (const n of names) yield await readFile(join(spec, n))
        } while (loop)
      }
    }
  }
  return {
    label: spec,
    paced: true,
    frames: async function* (loop) {
      do {
        let any = false
        for await (const image of splitStream(createReadStream(spec), maxBytes)) {
          any = true
          yield image
        }
        if (!any) throw new FramecastError('INVALID_ARGUMENT', `${spec} holds no JPEG images`)
      } while (loop)
    }
  }
}
