"""Adapters that hand static-embed-runner's vectors to other frameworks, one module per framework.

- ``langchain``: ``StaticEmbedRunnerEmbeddings`` (extra ``langchain``)
- ``llamaindex``: ``StaticEmbedRunnerEmbedding`` (extra ``llamaindex``)
- ``chroma``: ``StaticEmbedRunnerEmbeddingFunction`` (extra ``chroma``)
- ``haystack``: ``StaticEmbedRunnerTextEmbedder``, ``StaticEmbedRunnerDocumentEmbedder``
  (extra ``haystack``)
- ``ray``: ``EmbedBatches``, a callable class for Ray Data's ``map_batches`` (extra ``ray``)
- ``memory``: ``StaticEmbedRunnerEmbedder``, the plain ``get_embedding`` interface (no extra)

Each module imports its framework at its own import and raises an error naming the extra to install
when it is missing; ``import static_embed_runner`` never imports anything from here.
"""
