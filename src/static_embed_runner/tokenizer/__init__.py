"""tokenizer.json to token ids in pure Python, mirroring the ``tokenizers`` crate module by module.

normalizers -> added tokens -> pre_tokenizers -> models (WordPiece, Unigram, BPE, WordLevel)
-> truncation. ``backend`` picks this engine or the Rust ``tokenizers`` package.
"""

from .pipeline import Tokenizer

__all__ = ["Tokenizer"]
