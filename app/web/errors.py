"""Map every error to a JSON problem: domain errors, HTTP errors, and the unplanned."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.problems import Problem, not_found, too_large
from app.web.validation import InvalidParameter
from forms.errors import FormError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: 400.0, 401: 401.2, 403: 403.1, 404: 404.1, 405: 405.1, 406: 406.1,
               409: 409.0, 413: 413.1, 415: 415.1, 429: 429.1}


def problem_response(problem: Problem):
    response = jsonify(problem.to_json())
    response.status_code = problem.status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(error: Problem):
        return problem_response(error)

    @app.errorhandler(FormError)
    def _form_error(error: FormError):
        return problem_response(Problem(error.code, error.message, error.to_problem().get(
            "details")))

    @app.errorhandler(InvalidParameter)
    def _invalid_parameter(error: InvalidParameter):
        return problem_response(error.problem)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge):
        return problem_response(too_large(app.config["MAX_CONTENT_LENGTH"] or 0))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code == 404:  # no route matched: Central's words for a missing resource
            return problem_response(not_found())
        code = _HTTP_CODES.get(error.code or 500, float(error.code or 500))
        return problem_response(Problem(code, error.description or error.name))

    @app.errorhandler(Exception)
    def _unplanned(error: Exception):
        log.exception("unhandled error")
        return problem_response(Problem(500.1, "An unknown internal problem has occurred. "
                                               "Please try again later."))
