// html-report-check.mjs -- the node side of 50-html-report-chromium.sh (a helper, not a test).
//   dom DUMP.html KIND...       Chromium's --dump-dom output holds every chart KIND as an <svg> with its
//                               <title> and marks (path.series or rect.bar), and nothing loads from outside
//   png SHOT.png COLOR...       the screenshot decodes (zlib, PNG filters), is not one colour, and each
//                               series COLOR (#rrggbb) covers enough pixels to be a drawn line or bars
// Exits 1 with a FAILED line on the first check that does not hold.
import { readFileSync, writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const REPO = new URL('../../../', import.meta.url);

function fail(message) {
  console.log(`FAILED: ${message}`);
  process.exit(1);
}

function dom(file, kinds) {
  const html = readFileSync(file, 'utf8');
  if (/https?:|<script|<link|<img|\ssrc=/i.test(html)) fail(`${file} refers to something outside the page`);
  for (const kind of kinds) {
    const svg = new RegExp(`<svg class="chart" data-chart="${kind}"[\\s\\S]*?</svg>`).exec(html)?.[0];
    if (svg === undefined) fail(`no <svg data-chart="${kind}"> in the parsed DOM`);
    const marks = (svg.match(/<path class="series" d="M[^"]+"/g) ?? []).length + (svg.match(/<rect class="bar" /g) ?? []).length;
    const ticks = (svg.match(/<text class="tick"/g) ?? []).length;
    if (!/<title id="[^"]+">[^<]+<\/title>/.test(svg)) fail(`chart ${kind} has no <title>`);
    if (marks === 0) fail(`chart ${kind} has no series path or bar`);
    if (ticks < 4) fail(`chart ${kind} has ${ticks} tick labels`);
    console.log(`chart ${kind}: ${marks} marks, ${ticks} tick labels`);
  }
}

/** The pixels of an 8-bit RGB or RGBA, non-interlaced PNG, as RGBA rows. */
function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) fail('not a PNG');
  let off = 8;
  let width = 0, height = 0, colorType = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) fail(`PNG depth ${depth} colour type ${colorType} interlace ${data[12]}: not decoded here`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) fail(`PNG row ${y}: unknown filter ${filter}`);
      line[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      line.copy(out, (y * width + x) * 4, x * bpp, x * bpp + 3);
      out[(y * width + x) * 4 + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, rgba: out };
}

function png(file, colors) {
  const { width, height, rgba } = decodePng(readFileSync(file));
  const histogram = new Map();
  for (let i = 0; i < rgba.length; i += 4) {
    const key = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  const total = width * height;
  const [topKey, topCount] = [...histogram].sort((a, b) => b[1] - a[1])[0];
  console.log(`${width}x${height}, ${histogram.size} colours, the commonest #${topKey.toString(16).padStart(6, '0')} on ${((topCount * 100) / total).toFixed(1)}%`);
  if (histogram.size < 16) fail(`only ${histogram.size} colours: the page did not render`);
  if (topCount / total > 0.97) fail('almost one colour: a blank page');
  for (const color of colors) {
    const want = Number.parseInt(color.replace('#', ''), 16);
    const [r, g, b] = [want >> 16, (want >> 8) & 0xff, want & 0xff];
    let n = 0;
    // Anti-aliasing blends edges with the background; the core of a line or bar keeps the colour.
    for (let i = 0; i < rgba.length; i += 4) if (Math.abs(rgba[i] - r) + Math.abs(rgba[i + 1] - g) + Math.abs(rgba[i + 2] - b) <= 24) n++;
    console.log(`${color}: ${n} pixels`);
    if (n < 1500) fail(`${color} covers ${n} pixels: its series were not drawn`);
  }
}

const [command, file, ...rest] = process.argv.slice(2);
if (command === 'dom') dom(file, rest);
else if (command === 'png') png(file, rest);
else fail(`usage: html-report-check.mjs dom FILE KIND... | png FILE COLOR...`);
