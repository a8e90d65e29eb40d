from __future__ import annotations

from unireg.service.notify import Notifier, WebhookTarget


def test_unexpected_error_becomes_failed_delivery() -> None:
    notifier = Notifier([WebhookTarget("not-a-url", frozenset({"registered"}))])

    notifier.send("registered", {"model": "acme_retail_churn_v1"})
    deliveries = notifier.close()

    assert len(deliveries) == 1
    assert not deliveries[0].delivered
    assert "ValueError" in (deliveries[0].error or "")
