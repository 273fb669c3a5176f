// bundle placeholder: rebuilt by `just web-grpc`
