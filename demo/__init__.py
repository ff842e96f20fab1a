"""The offline CPU demo (``make demo`` / ``tdmm-demo``): the top layer, it runs every other part."""
