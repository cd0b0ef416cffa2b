"""The API's blueprint class: flask-smorest's, with the JSON body read by ``BodyParser``. Every
API module builds its blueprint from here, so every operation that reads a JSON body refuses
one it cannot read the same way: 400 problem+json, before the view (and its Idempotency-Key
record) runs."""

from __future__ import annotations

import json

import flask_smorest
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from core import texts


class BodyParser(FlaskParser):
    """webargs' Flask parser, which answers 400 to malformed JSON but lets two refusals of the
    decoder itself through as a 500: a number of more than 4,300 digits (``ValueError`` from
    Python's limit on integer strings) and nesting deeper than the interpreter's recursion
    limit (``RecursionError``). Each is a body that cannot be read, as malformed JSON is."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs' own handling: an empty body is "missing", else invalid
        except (ValueError, RecursionError) as error:
            self._handle_invalid_json_error(error, req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise BadRequest(texts.API_BODY_UNREADABLE) from error


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = BodyParser()
