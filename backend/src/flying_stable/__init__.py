"""Flying Stable: a small pony-care app that demonstrates a Django desktop backend."""

APP_ID = "flying-stable"
APP_NAME = "Flying Stable"
__version__ = "0.1.0"
