[
  {
    "name": "app",
    "image": "${image}",
    "portMappings": [{ "containerPort": ${port} }]
  },
  {
    "name": "xray",
    "image": "amazon/aws-xray-daemon:latest",
    "essential": false
  }
]
