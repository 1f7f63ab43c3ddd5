"""Shared test texts: real multilingual sentences plus adversarial Unicode cases.

Every comparison against a reference library (tokenizers, sentence-transformers, model2vec) runs
over these, so a behaviour that breaks on any script or edge case shows up everywhere at once.
"""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"
TOKENIZER_FIXTURES = FIXTURES / "tokenizers"
MODEL_FIXTURES = FIXTURES / "models"

REAL_SENTENCES: list[str] = [
    "The quick brown fox jumps over the lazy dog.",
    "Static embeddings average the rows of a token table; that is all.",
    "I'm sure it's fine — don't worry, we'll re-run the tests at 3:45pm!",
    "Hello, world! HELLO, WORLD? hello... world;",
    "Prices rose 12.5% in Q3 2024 (from $1,234.56 to $1,388.88).",
    "email me at someone@example.com or visit https://example.org/path?q=1&x=y#frag",
    "東京は日本の首都です。今日はとても良い天気ですね。",
    "機械学習モデルを使って文章の埋め込みを計算します。",
    "ｶﾀｶﾅの半角とＡＢＣの全角、１２３も混ぜてみる。",
    "我们正在测试中文分词和嵌入的质量。",
    "繁體中文與简体中文混合的句子。",
    "한국어 문장도 테스트합니다. 안녕하세요!",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "हिन्दी में एक वाक्य यहाँ है।",
    "مرحبا بالعالم، هذه جملة عربية.",
    "Привет, мир! Это предложение на русском языке.",
    "Ελληνικά: Καλημέρα κόσμε.",
    "Café naïve résumé coöperate Ångström façade jalapeño.",
    "Straße, Maße, GROSS, ﬁne ligatures ﬀ ﬃ and ½ ⅓ ² ³ ⑤ ㍿ ㌔.",
    "Emoji: 😀👍🏽👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇯🇵 #️⃣",
    "Zero\u200bwidth\u200cjoiner\u200dand\ufeffBOM and soft\u00adhyphen",
    "tabs\tand\nnewlines\r\nand\x0bvertical\x0cform\x1fcontrol\x7fdel\x00nul",
    "Combining: e\u0301 a\u0300 n\u0303 o\u0308 \u1100\u1161\u11a8 Z\u0351\u036b\u0343\u036a\u0302",
    "Private use \ue000\uf8ff and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𪚥 \U000f0000",
    "   leading and trailing spaces   ",
    "multiple     internal      spaces and\u3000ideographic\u3000space",
    "supercalifragilisticexpialidocious" * 5,
    "a" * 150,
    "ALLCAPS lowercase MiXeD CaSe",
    "1234567890 3.14159 -42 +7 1e-9 0x1F",
    "C++ / C# / F# / .NET / Node.js / TypeScript's `generics<T>`",
    "«Guillemets» „Anführungszeichen“ “curly” ‘single’ 「かぎ括弧」『二重』",
    "",
    " ",
    "\n\t ",
    "ー〜・…‥",
    "日本語とEnglishが混ざったmixed文章です。",
]

LONG_TEXT: str = " ".join(REAL_SENTENCES[:20]) * 12  # well beyond 512 tokens for any vocabulary

CORPUS: list[str] = [*REAL_SENTENCES, LONG_TEXT]
