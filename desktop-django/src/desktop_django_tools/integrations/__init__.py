"""One wrapper module per external tool, so the tools' quirks live in one place each."""
