"""The web app's blueprint, in its own module so pages import it without importing the package
(which imports the pages)."""
from flask import Blueprint

ui = Blueprint("ui", __name__, template_folder="templates")
