"""Performance tests: the search index plays no part in page views, so it is not fed here."""
import pytest


@pytest.fixture
def app_config(app_config):
    app_config["SEARCH_INDEXER"] = "off"
    return app_config
