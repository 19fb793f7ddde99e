"""Release engineering: release manifests and checksums, minisign-compatible signatures,
offline bundles and their standalone verifier.

Everything here runs from nox sessions (`release`, `offline-bundle`) through the
`desktop-django` CLI; `verify.py` is also copied into every release, with the runtime
modules it imports inlined (verify_script.py).
"""
