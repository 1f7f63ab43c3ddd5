"""Tokenization models (WordPiece, Unigram, BPE, WordLevel): a pre-token string to token ids."""
