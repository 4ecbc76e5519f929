{
  "includes": ["torch-config.gypi"],
  "targets": [
    {
      "target_name": "gmmseg_torch",
      "sources": ["<!@(node -p \"require('fs').readdirSync('src').filter(f => f.endsWith('.cc')).map(f => 'src/' + f).join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<@(torch_include_dirs)"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "<@(torch_defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-frtti", "-fexceptions", "-O2", "-fopenmp", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["<@(torch_libraries)"],
      "ldflags": ["-fopenmp", "<@(torch_ldflags)"]
    }
  ]
}
