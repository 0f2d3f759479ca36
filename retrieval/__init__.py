"""Legal document parsing, Vietnamese text normalisation, hybrid BM25 + dense index, evaluation."""
