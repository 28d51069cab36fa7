"""The REST API's blueprint, which every view module registers its routes on (imported from
here, not from the package, so that the package can import the views without a cycle)."""
from flask import Blueprint, g

api = Blueprint("api", __name__)


@api.url_value_preprocessor
def _take_key_token(_endpoint, values):
    """`/v1/key/{token}/...`: the token authenticates; views never see it."""
    if values and "key_token" in values:
        g.key_token = values.pop("key_token")
