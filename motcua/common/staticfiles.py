"""Static files served by the application itself (WhiteNoise), so an offline intranet needs no CDN and
no separate static server."""

from __future__ import annotations

import os

from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise that takes a missing ``STATIC_ROOT`` as "collectstatic was not run": the files then come
    from the apps' static folders (``WHITENOISE_USE_FINDERS``), and there is nothing to warn about."""

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if root == self.static_root and not os.path.isdir(root):
            return
        super().add_files(root, prefix)
