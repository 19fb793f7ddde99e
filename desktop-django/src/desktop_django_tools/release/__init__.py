"""Release engineering: icons from the one brand SVG, release manifests and checksums,
minisign-compatible signatures, offline bundles and their standalone verifier.

Everything here runs from nox sessions (`icons`, `release`, `offline-bundle`) through
`python -m release`; `release/verify.py` is also copied, unchanged, into every release.
"""
