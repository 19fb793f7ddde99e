import flying_stable


def app_identity(_request) -> dict:
    return {"app_name": flying_stable.APP_NAME, "app_version": flying_stable.__version__}
