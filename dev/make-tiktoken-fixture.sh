#!/usr/bin/env bash
# Writes tests/Eslm.Tests/Fixtures/tiktoken_gpt2.json: GPT-2 token ids from tiktoken itself (npm tiktoken@1.0.22, the
# WASM build of OpenAI's Rust tokenizer) for texts where tokenizers disagree: letters and digits outside the Basic
# Multilingual Plane (which SharpToken and .NET's regex classify per UTF-16 code unit), whitespace and contractions
# around them, and seeded random strings over such an alphabet. The tests read the file; they never need Node.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent tiktoken@1.0.22 >/dev/null
cat > make.mjs <<'JS'
import { get_encoding } from "tiktoken";
import { writeFileSync } from "fs";
const enc = get_encoding("gpt2");
const texts = [
  "Alice𝐀's 𠀀're", "a𝐀b 1𝟎", "𝐁𝐨𝐥𝐝 𝐭𝐞𝐱𝐭 in 𝑖𝑡𝑎𝑙𝑖𝑐 and 𝟏𝟐𝟑 digits", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕯𝖔𝖚𝖇𝖑𝖊",
  "Gothic 𐌰𐌱𐌲 and Ext-B 𠀀𠀁𪚥 characters", "x𝟎'll y𝐀've z𐌰'd", "😀😀 👍🏽 🇯🇵 👨‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 a𝐀b 1𝟎",
  "  𝐀  \n\n 𝐀\t𝟎 ", "𝐀𝟎𝐀 𝟎𝐀𝟎 😀𝐀😀", "Hello world", "I'm you're we've they'll he'd she's it'd 'S 'sx ''s O'Neil",
  "naïve café — 123,456 tokens!!  \n\n  spaces", "tabs\tand\u000bvertical\u000cfeeds\u001cfile-separator",
  "\u00a0\u2009x\u3000y\u2028z\u0085w\u180ev", "1234567890 3.14159 -42 1e10 0x1F ١٢٣ ⅷ ²³ 1,000,000",
];
// Seeded random strings (a 32-bit LCG, so the file is the same on every run).
let state = 12345;
const next = k => { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; return state % k; };
const alphabet = [..."  \n\t'sre.aZ9!é日😀", "𝐀", "𝟎", "𠀀", "𐌰", "𝔘", "'ll", "'ve"];
for (let i = 0; i < 200; i++) {
  let s = "";
  for (let n = 1 + next(40); n > 0; n--) s += alphabet[next(alphabet.length)];
  texts.push(s);
}
const cases = texts.map(text => ({ text, ids: Array.from(enc.encode(text)) }));
writeFileSync(process.argv[2], JSON.stringify({ source: "npm tiktoken@1.0.22, get_encoding(\"gpt2\")", cases }, null, 1) + "\n");
JS
node make.mjs "$root/tests/Eslm.Tests/Fixtures/tiktoken_gpt2.json"
echo "wrote tests/Eslm.Tests/Fixtures/tiktoken_gpt2.json"
