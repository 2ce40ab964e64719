from config.celery import app as celery_app


def test_liveness_answers_without_touching_anything(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_and_broker(client, db, settings):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ready"}


def test_broker_down_is_not_ready_and_says_so(client, db, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"


def test_database_down_is_not_ready_and_says_so(client, db):
    from django.db import connection

    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/health/ready")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    assert response.json()["database"] != "ok" and response.json()["broker"] == "ok"
