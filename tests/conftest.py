from tests.support.courtsim_server import court_simulator  # noqa: F401
from tests.support.stack import (  # noqa: F401
    activity_executor,
    database_url,
    dependencies,
    dev_env,
    postgres_url,
    records,
    sqlite_url,
    time_skipping_env,
    vault,
)
