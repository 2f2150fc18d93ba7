import requests
import time
ANNO_LAB_API_KEY = 'XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX'
exportRequestBody = {
    'projectOwner': 'Group Name owning project',
    'projectName': 'Example Project Name',
    'tagFilter': {'canonicalTagTypes': ["Airframe Inventory"]},
    'sourceFilter': "Test_PDF.pdf",
    'includeFiles': True
}
headers = {
    'Authorization': 'Api-Key '+ANNO_LAB_API_KEY,
}
url = 'https://api.annolab.ai/v1/export/instruments'
response = requests.post(url, headers=headers, json=exportRequestBody, stream=True)
status_url = response.json()['exportStatusUrl']
export_status = response.json()['exportJob']['status']
if response.status_code == 201:
    while export_status not in ['finished', 'errored']:
        response = requests.get(status_url, headers=headers).json()
        print(response)
        export_status = response['status']
        if export_status not in ['finished', 'errored']:
            time.sleep(15)
    if export_status == 'finished':
        signed_url = response['downloadUrl']
        download_response = requests.get(signed_url, stream=True)
        export_file_name = 'example_export.zip'
        if download_response.status_code == 200:
            with open(export_file_name, 'wb') as f:
                for chunk in download_response.iter_content(1024):
                    f.write(chunk)
            print("Export download finished see: ", export_file_name)
