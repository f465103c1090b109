from django.db import models


class RequestCount(models.Model):
    """Requests a token made in one rate-limit window; used only when SCHEDA_API_RATE_LIMIT is
    set, so that every process counts against the same number."""

    token_hash = models.CharField(max_length=64)
    window = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token_hash", "window"], name="requestcount_unique")]
