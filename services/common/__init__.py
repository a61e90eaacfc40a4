"""What every CareCircle service needs: settings, database, errors, request ids, logs, health, metrics, geo."""
