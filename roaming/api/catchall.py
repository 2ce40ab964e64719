"""Anything under /ocpi/ that no route matches still answers in the OCPI envelope."""

from rest_framework.response import Response
from rest_framework.views import APIView

from roaming.ocpi import status
from roaming.ocpi.envelope import envelope


class UnknownRouteView(APIView):
    authentication_classes = []
    permission_classes = []

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = Response(
            envelope(None, status_code=status.CLIENT_ERROR, message=f"No OCPI endpoint at {request.path}"),
            status=404,
        )
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response
