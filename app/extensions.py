"""Extensions created unbound and attached in create_app (Flask's app-factory pattern)."""
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
# The web app's (app/web/ui) translations and CSRF tokens. CSRF is checked by the web app's
# blueprint alone (WTF_CSRF_CHECK_DEFAULT=False): bearer-token API clients are unaffected.
babel = Babel()
csrf = CSRFProtect()
