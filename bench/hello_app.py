"""The baseline: a bare Flask hello app, run under the same gunicorn.conf.py as the real service."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/api/health")
@app.get("/api/health/ready")
@app.get("/api/test")
def hello():
    return jsonify(status="pass", message="hello")
